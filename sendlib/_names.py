"""Name lists for the synthetic trust: forenames and surnames by first language.

Generated pupils draw a forename and a surname at random from these lists; no record of
a real pupil is used.
"""

NAMES = {
    "ENG": (
        ["Oliver", "George", "Harry", "Noah", "Jack", "Leo", "Arthur", "Oscar", "Charlie", "Jacob", "Alfie",
         "Freddie", "Theo", "Archie", "Henry", "Thomas", "Joshua", "William", "James", "Max", "Isaac",
         "Lucas", "Ethan", "Finley", "Reggie", "Toby", "Dylan", "Samuel", "Harrison", "Rory"],
        ["Olivia", "Amelia", "Isla", "Ava", "Lily", "Freya", "Ivy", "Florence", "Willow", "Grace", "Sophia",
         "Mia", "Evie", "Poppy", "Ella", "Isabella", "Daisy", "Sienna", "Ruby", "Phoebe", "Matilda", "Harper",
         "Evelyn", "Rosie", "Esme", "Millie", "Emily", "Alice", "Maya", "Eliza"],
        ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
         "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
         "Harris", "Lewis", "Hughes", "Edwards", "Turner", "Hill", "Cooper", "Ward", "Morris", "Moore",
         "Baker", "Parker", "Bennett", "Carter", "Mitchell", "Shaw", "Holmes", "Lloyd", "Price", "Fletcher"],
    ),
    "POL": (
        ["Jakub", "Antoni", "Jan", "Szymon", "Filip", "Kacper", "Franciszek", "Mikolaj", "Aleksander", "Wojciech"],
        ["Zofia", "Zuzanna", "Hanna", "Julia", "Maja", "Laura", "Oliwia", "Alicja", "Lena", "Pola"],
        ["Nowak", "Kowalski", "Wisniewski", "Wojcik", "Kaminski", "Lewandowski", "Zielinski", "Szymanski",
         "Dabrowski", "Kozlowski"],
    ),
    "URD": (
        ["Muhammad", "Ali", "Hamza", "Ibrahim", "Yusuf", "Zain", "Ayaan", "Hassan", "Bilal", "Rayyan"],
        ["Aisha", "Maryam", "Zara", "Fatima", "Hafsa", "Inaya", "Khadija", "Sana", "Amna", "Noor"],
        ["Khan", "Hussain", "Ahmed", "Iqbal", "Akhtar", "Malik", "Rashid", "Butt", "Mahmood", "Shah"],
    ),
    "PNJ": (
        ["Arjun", "Harjit", "Gurveer", "Jasraj", "Manveer", "Simran", "Karan", "Ranveer", "Dev", "Navdeep"],
        ["Harleen", "Jasmeet", "Gurleen", "Amrit", "Navneet", "Simran", "Manpreet", "Kiran", "Priya", "Jaspreet"],
        ["Singh", "Kaur", "Sandhu", "Gill", "Dhillon", "Sidhu", "Bains", "Grewal", "Johal", "Atwal"],
    ),
    "BNG": (
        ["Rahim", "Ayan", "Tanvir", "Imran", "Sabbir", "Arif", "Nabil", "Faisal", "Rafi", "Shakil"],
        ["Nusrat", "Tahmina", "Ruksana", "Sumaiya", "Farzana", "Jannat", "Afia", "Tasnim", "Mim", "Sadia"],
        ["Begum", "Uddin", "Miah", "Rahman", "Islam", "Choudhury", "Hoque", "Ali", "Sarkar", "Ahmed"],
    ),
    "ARA": (
        ["Omar", "Yousef", "Khaled", "Ahmad", "Adam", "Kareem", "Samir", "Tariq", "Hadi", "Malik"],
        ["Layla", "Mariam", "Salma", "Nour", "Yasmin", "Huda", "Rania", "Lina", "Dina", "Amira"],
        ["Haddad", "Mansour", "Nasser", "Saleh", "Khalil", "Aziz", "Darwish", "Hamdan", "Younis", "Said"],
    ),
    "RMN": (
        ["Andrei", "Mihai", "Alexandru", "Stefan", "Ionut", "Gabriel", "Darius", "Matei", "Luca", "Vlad"],
        ["Maria", "Ioana", "Elena", "Andreea", "Bianca", "Daria", "Ana", "Sofia", "Alesia", "Irina"],
        ["Popescu", "Ionescu", "Popa", "Stan", "Dumitru", "Stoica", "Gheorghe", "Rusu", "Munteanu", "Matei"],
    ),
    "SOM": (
        ["Abdi", "Abdullahi", "Mohamed", "Hassan", "Mustafe", "Liban", "Hamse", "Ayub", "Yasin", "Guled"],
        ["Hodan", "Ifrah", "Sagal", "Hibo", "Ayan", "Fadumo", "Nimco", "Deeqa", "Najma", "Sahra"],
        ["Farah", "Warsame", "Osman", "Abdi", "Ali", "Jama", "Hersi", "Egal", "Nur", "Aden"],
    ),
    "POR": (
        ["Tiago", "Rodrigo", "Diogo", "Goncalo", "Martim", "Rafael", "Duarte", "Tomas", "Santiago", "Afonso"],
        ["Beatriz", "Matilde", "Leonor", "Carolina", "Mariana", "Ines", "Francisca", "Margarida", "Lara", "Clara"],
        ["Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins", "Sousa", "Gomes"],
    ),
    "LIT": (
        ["Lukas", "Matas", "Nojus", "Dominykas", "Jokubas", "Kajus", "Benas", "Herkus", "Tomas", "Rokas"],
        ["Emilija", "Sofija", "Ugne", "Lukne", "Gabija", "Kamile", "Austeja", "Urte", "Ema", "Smilte"],
        ["Kazlauskas", "Jankauskas", "Petrauskas", "Stankevicius", "Vasiliauskas", "Zukauskas", "Butkus",
         "Paulauskas", "Urbonas", "Kavaliauskas"],
    ),
    "TUR": (
        ["Yusuf", "Eymen", "Emir", "Omer", "Mustafa", "Kerem", "Efe", "Mert", "Can", "Baran"],
        ["Zeynep", "Elif", "Defne", "Eylul", "Asel", "Ecrin", "Nehir", "Ada", "Azra", "Duru"],
        ["Yilmaz", "Kaya", "Demir", "Sahin", "Celik", "Yildiz", "Aydin", "Ozturk", "Arslan", "Dogan"],
    ),
    "UKR": (
        ["Maksym", "Artem", "Oleksandr", "Dmytro", "Bohdan", "Nazar", "Taras", "Mykyta", "Danylo", "Ivan"],
        ["Sofiia", "Anastasiia", "Solomiia", "Zlata", "Viktoriia", "Yeva", "Mariia", "Oleksandra", "Polina", "Kateryna"],
        ["Melnyk", "Shevchenko", "Kovalenko", "Bondarenko", "Tkachenko", "Kravchenko", "Oliinyk", "Shevchuk",
         "Polishchuk", "Lysenko"],
    ),
}
